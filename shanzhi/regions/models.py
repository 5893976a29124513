"""The governance map: the region tree, households and residents."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.core import idnumbers


class Region(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        COUNTY = "county", _("county")
        TOWN = "town", _("town")  # 镇
        TOWNSHIP = "township", _("township")  # 乡
        SUBDISTRICT = "subdistrict", _("subdistrict")  # 街道
        VILLAGE = "village", _("village")  # 村
        COMMUNITY = "community", _("community")  # 社区
        GROUP = "group", _("village group")  # 村民小组
        GRID = "grid", _("grid")
        MICRO_GRID = "micro_grid", _("micro-grid")

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        CITY = 2, _("city")
        COUNTY = 3, _("county")
        TOWNSHIP = 4, _("township")
        VILLAGE = 5, _("village")
        GROUP = 6, _("village group")
        GRID = 7, _("grid")
        MICRO_GRID = 8, _("micro-grid")

    LEVEL_OF_KIND = {
        Kind.PROVINCE: Level.PROVINCE,
        Kind.CITY: Level.CITY,
        Kind.COUNTY: Level.COUNTY,
        Kind.TOWN: Level.TOWNSHIP,
        Kind.TOWNSHIP: Level.TOWNSHIP,
        Kind.SUBDISTRICT: Level.TOWNSHIP,
        Kind.VILLAGE: Level.VILLAGE,
        Kind.COMMUNITY: Level.VILLAGE,
        Kind.GROUP: Level.GROUP,
        Kind.GRID: Level.GRID,
        Kind.MICRO_GRID: Level.MICRO_GRID,
    }

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, unique=True)
    county = models.ForeignKey(
        "self", verbose_name=_("county"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_urban = models.BooleanField(_("urban"), default=False)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    household_count = models.PositiveIntegerField(_("households"), default=0)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=8), name="region_level_valid"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(level__gte=2), name="region_parent_below_top"
            ),
        ]
        indexes = [models.Index(fields=["parent", "name"], name="region_parent_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def county_pk(self) -> int:
        """The county this place belongs to, for the ``county`` column of scoped rows (a
        county is its own; every place at or below a county has one)."""
        county = self.county_id or self.pk
        if county is None:
            raise ValueError("an unsaved place has no county")
        return county

    @property
    def is_grid(self) -> bool:
        return self.level == self.Level.GRID


class GridStandard(models.Model):
    """How many households a grid should hold, per county (seed 000: rural about 20,
    urban 300–500; seed 004: urban 200–300)."""

    county = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="grid_standard")
    rural_min = models.PositiveIntegerField(_("rural minimum"), default=15)
    rural_max = models.PositiveIntegerField(_("rural maximum"), default=30)
    urban_min = models.PositiveIntegerField(_("urban minimum"), default=200)
    urban_max = models.PositiveIntegerField(_("urban maximum"), default=500)

    class Meta:
        verbose_name = _("grid standard")
        verbose_name_plural = _("grid standards")
        constraints = [
            models.CheckConstraint(condition=Q(rural_min__lte=models.F("rural_max")), name="grid_std_rural_range"),
            models.CheckConstraint(condition=Q(urban_min__lte=models.F("urban_max")), name="grid_std_urban_range"),
        ]

    def __str__(self) -> str:
        return str(self.county)

    def bounds(self, urban: bool) -> tuple[int, int]:
        return (self.urban_min, self.urban_max) if urban else (self.rural_min, self.rural_max)


class Household(models.Model):
    number = models.CharField(_("household number"), max_length=32, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Every household belongs to a village; "full coverage" means it also has a grid, and
    # the coverage page lists those that do not yet.
    village = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="village_households",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    grid = models.ForeignKey(
        Region, verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="households",
        limit_choices_to={"level": Region.Level.GRID},
    )
    micro_grid = models.ForeignKey(
        Region, verbose_name=_("micro-grid"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="micro_households", limit_choices_to={"level": Region.Level.MICRO_GRID},
    )
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Tag(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("elderly living alone")
    LEFT_BEHIND_CHILD = "left_behind_child", _("left-behind child")
    DISABLED = "disabled", _("disabled")
    LOW_INCOME = "low_income", _("low-income")
    KEY_PERSON = "key_person", _("key person")
    PARTY_MEMBER = "party_member", _("party member")
    VETERAN = "veteran", _("veteran")
    MIGRANT_WORKER = "migrant_worker", _("migrant worker")
    SERIOUSLY_ILL = "seriously_ill", _("seriously ill")


class Resident(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        SON = "son", _("son")
        DAUGHTER = "daughter", _("daughter")
        FATHER = "father", _("father")
        MOTHER = "mother", _("mother")
        SON_IN_LAW = "son_in_law", _("son-in-law")
        DAUGHTER_IN_LAW = "daughter_in_law", _("daughter-in-law")
        GRANDSON = "grandson", _("grandson")
        GRANDDAUGHTER = "granddaughter", _("granddaughter")
        GRANDPARENT = "grandparent", _("grandparent")
        SIBLING = "sibling", _("brother or sister")
        OTHER = "other", _("other relative")

    class Status(models.TextChoices):
        ACTIVE = "active", _("living here")
        MOVED_OUT = "moved_out", _("moved out")
        DECEASED = "deceased", _("deceased")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="members",
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True, unique=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    relation = models.CharField(_("relation to the head"), max_length=20, choices=Relation.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    region_path = models.CharField(_("region path"), max_length=255, db_index=True, blank=True)
    county = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household_id", "id"]
        constraints = [
            # A household has at most one head (import and moves rely on it).
            models.UniqueConstraint(
                fields=["household"], condition=Q(relation="head") & Q(status="active"),
                name="one_head_per_household",
            ),
            models.CheckConstraint(
                condition=Q(household__isnull=False) | ~Q(status="active"), name="active_resident_has_household"
            ),
        ]
        indexes = [models.Index(fields=["name"], name="resident_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return idnumbers.mask_id(self.id_number)

    @property
    def phone_masked(self) -> str:
        return idnumbers.mask_phone(self.phone)


class ResidentTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(_("tag"), max_length=32, choices=Tag.choices)

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        constraints = [models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_unique")]
        indexes = [models.Index(fields=["tag", "resident"], name="resident_tag_idx")]

    def __str__(self) -> str:
        return self.get_tag_display()


class ResidentMove(models.Model):
    """A resident leaving one household for another (or leaving the county)."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="moves")
    from_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("new relation"), max_length=20, choices=Resident.Relation.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    moved_at = models.DateTimeField(_("moved at"), auto_now_add=True)
    actor = models.ForeignKey("people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("resident move")
        verbose_name_plural = _("resident moves")
        ordering = ["-moved_at"]

    def __str__(self) -> str:
        return f"{self.resident} {self.moved_at:%Y-%m-%d}"
