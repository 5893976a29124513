// Adds the phone's location to a visit form (hidden latitude and longitude) when the phone
// allows it; the form works without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-locate]");
  if (!form || !navigator.geolocation) {
    return;
  }
  var lat = form.querySelector("input[name=latitude]");
  var lng = form.querySelector("input[name=longitude]");
  var status = form.querySelector("[data-locate-status]");
  if (!lat || !lng || lat.value) {
    return;
  }
  navigator.geolocation.getCurrentPosition(function (position) {
    lat.value = position.coords.latitude.toFixed(6);
    lng.value = position.coords.longitude.toFixed(6);
    if (status) {
      status.textContent = status.dataset.done || "✓ " + lat.value + ", " + lng.value;
    }
  }, function () {}, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
})();
