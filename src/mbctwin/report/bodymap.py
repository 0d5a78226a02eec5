"""An SVG body map: a front-view silhouette with one numbered marker per metastatic site.

Symptomatic sites get a red marker *and* a second ring and the word "symptomatic" in their
title and legend, so colour is never the only signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from mbctwin.case.derived import lesion_total
from mbctwin.case.models import SITES, Case

__all__ = ["SITE_LABELS", "SiteMark", "body_map_svg", "site_marks"]

SITE_LABELS = {
    "bone": "Bone",
    "lung": "Lung",
    "liver": "Liver",
    "brain": "Brain",
    "leptomeninges": "Leptomeninges",
    "distant_lymph_node": "Distant lymph nodes",
    "pleura": "Pleura",
    "skin": "Skin / chest wall",
    "peritoneum": "Peritoneum",
    "adrenal": "Adrenal",
    "ovary": "Ovary",
    "bone_marrow": "Bone marrow",
    "other": "Other site",
}

# Marker positions on the 200 x 400 silhouette (viewer's left is the patient's right).
_POSITION = {
    "brain": (100, 34),
    "leptomeninges": (121, 52),
    "distant_lymph_node": (64, 96),
    "skin": (136, 100),
    "lung": (82, 124),
    "pleura": (123, 140),
    "bone": (100, 160),
    "liver": (80, 182),
    "adrenal": (120, 190),
    "peritoneum": (100, 218),
    "ovary": (82, 240),
    "bone_marrow": (118, 286),
    "other": (160, 250),
}

_SILHOUETTE = (
    '<g class="bm-body" fill="#e9eef4" stroke="#7d8ea3" stroke-width="1.5">'
    '<ellipse cx="100" cy="34" rx="20" ry="24"/>'
    '<rect x="91" y="54" width="18" height="16" rx="4"/>'
    '<rect x="33" y="82" width="18" height="150" rx="9" transform="rotate(9 42 82)"/>'
    '<rect x="149" y="82" width="18" height="150" rx="9" transform="rotate(-9 158 82)"/>'
    '<rect x="62" y="236" width="34" height="156" rx="15"/>'
    '<rect x="104" y="236" width="34" height="156" rx="15"/>'
    '<path d="M62 72 Q100 62 138 72 Q152 78 151 96 L145 190 Q147 222 142 250 L58 250 Q53 222 55 190 L49 96'
    ' Q48 78 62 72 Z"/>'
    "</g>"
    '<g class="bm-organs" fill="none" stroke="#b7c3d1" stroke-width="1.2">'
    '<ellipse cx="83" cy="126" rx="14" ry="28"/><ellipse cx="117" cy="126" rx="14" ry="28"/>'
    '<path d="M62 172 Q86 160 108 170 Q100 190 70 192 Q60 186 62 172 Z"/>'
    '<line x1="100" y1="62" x2="100" y2="236" stroke-dasharray="3 3"/>'
    '<path d="M66 232 Q100 258 134 232"/>'
    "</g>"
)


@dataclass(frozen=True)
class SiteMark:
    """One marked site: lesions summed over the case's rows for that site."""

    site: str
    label: str
    count: int | None  # None: lesions not counted
    symptomatic: bool
    findings: tuple[str, ...]
    x: int
    y: int

    @property
    def short_label(self) -> str:
        """The count as the marker shows it: ``?`` when not counted, ``10+`` for innumerable."""
        return "?" if self.count is None else "10+" if self.count >= 10 else str(self.count)

    @property
    def description(self) -> str:
        if self.count is None:
            lesions = "lesions not counted"
        else:
            lesions = "innumerable lesions" if self.count >= 10 else f"{self.count} lesion{'s' * (self.count != 1)}"
        text = f"{self.label}: {lesions}, {'symptomatic' if self.symptomatic else 'not symptomatic'}"
        if self.findings:
            text += " (" + ", ".join(f.replace("_", " ") for f in self.findings) + ")"
        return text


def site_marks(case: Case) -> list[SiteMark]:
    """One mark per metastatic site of the case, in the contract's site order."""
    marks = []
    for site in SITES:
        rows = [m for m in case.metastases if m.site == site]
        if not rows:
            continue
        findings = tuple(dict.fromkeys(f for m in rows for f in m.findings))
        x, y = _POSITION[site]
        marks.append(
            SiteMark(site, SITE_LABELS[site], lesion_total(rows), any(m.symptomatic for m in rows), findings, x, y)
        )
    return marks


def _marker(mark: SiteMark) -> str:
    label = mark.short_label
    count = "" if mark.count is None else str(mark.count)
    colour, ring = (
        ("#b42318", '<circle r="15" fill="none" stroke="#b42318" stroke-width="2"/>')
        if mark.symptomatic
        else ("#1d4f91", "")
    )
    return (
        f'<g class="bm-site{" bm-symptomatic" * mark.symptomatic}" data-site="{mark.site}" data-count="{count}"'
        f' data-symptomatic="{str(mark.symptomatic).lower()}" transform="translate({mark.x} {mark.y})">'
        f"<title>{escape(mark.description)}</title>{ring}"
        f'<circle r="11" fill="{colour}" stroke="#fff" stroke-width="2"/>'
        f'<text text-anchor="middle" dy="4" font-size="{10 if len(label) < 3 else 8}" font-weight="700"'
        f' fill="#fff" font-family="system-ui, sans-serif">{label}</text></g>'
    )


def body_map_svg(case: Case, *, width: int = 200) -> str:
    """The body map as inline SVG markup (``role="img"`` with a text alternative listing every site)."""
    marks = site_marks(case)
    alt = "Body map. " + "; ".join(m.description for m in marks) + "."
    return (
        f'<svg class="body-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 400" width="{width}"'
        f' height="{width * 2}" role="img" aria-label="{escape(alt)}">'
        + _SILHOUETTE
        + "".join(_marker(m) for m in marks)
        + "</svg>"
    )
