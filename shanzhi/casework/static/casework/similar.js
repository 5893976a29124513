// The filing page: as the person types, the similar open requests nearby (same category,
// same village, recent), each with a "me too" button, so they follow one instead of filing
// the same matter again. Without JavaScript the "check for similar requests" button does
// the same through the server. The texts come translated from the page's data attributes.
(function () {
  "use strict";
  var form = document.querySelector("form[data-similar]");
  var box = document.getElementById("similar");
  if (!form || !box || !window.fetch) {
    return;
  }
  var field = function (name) { return form.querySelector("[name=" + name + "]"); };
  var category = field("category");
  var description = field("description");
  var staff = !!field("channel");
  var timer = null;
  var asked = "";

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) {
      node.className = cls;
    }
    return node;
  }

  function show(items) {
    box.textContent = "";
    box.hidden = items.length === 0;
    if (!items.length) {
      return;
    }
    box.appendChild(text("h2", box.dataset.title, "similar__title"));
    var list = document.createElement("ul");
    list.className = "similar__list";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "similar__item";
      var head = document.createElement("p");
      head.appendChild(text("strong", "#" + item.number));
      head.appendChild(document.createTextNode(" " + [item.category, item.place, item.state_label,
        item.submitted_at.slice(0, 10)].join(" · ")));
      li.appendChild(head);
      li.appendChild(text("p", item.excerpt));
      li.appendChild(text("p", item.followers + " " + box.dataset.followers, "hint"));
      if (item.following) {
        li.appendChild(text("p", box.dataset.following, "hint"));
      } else if (!staff) {
        var button = text("button", box.dataset.meToo, "button");
        button.type = "submit";
        button.formNoValidate = true;
        button.setAttribute("formaction", box.dataset.follow.replace("/0/", "/" + item.id + "/"));
        li.appendChild(button);
      }
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function ask() {
    if (!category || !category.value) {
      show([]);
      return;
    }
    var params = new URLSearchParams({category: category.value, title: (description && description.value || "").slice(0, 200)});
    ["household", "region"].forEach(function (name) {
      var input = field(name);
      if (input && input.value) {
        params.set(name, input.value);
      }
    });
    var query = params.toString();
    if (query === asked) {
      return;
    }
    asked = query;
    fetch(form.dataset.similar + "?" + query, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (items) {
        if (query === asked) {
          show(items);
        }
      })
      .catch(function () {});
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 400);
  }

  ["category", "description", "household", "region"].forEach(function (name) {
    var input = field(name);
    if (input) {
      input.addEventListener("input", later);
      input.addEventListener("change", later);
    }
  });
  if (category && category.value) {
    later();
  }
})();
