"""Printable reports: one self-contained HTML document (case, body map, plan, evidence), and PDF via Chromium.

Independent of HTTP: the web interface and ``mbc report`` both call :func:`render_html`.
"""

from __future__ import annotations

from mbctwin.report.bodymap import body_map_svg, site_marks
from mbctwin.report.render import ChromiumMissing, html_to_pdf, render_html, write_report

__all__ = ["ChromiumMissing", "body_map_svg", "html_to_pdf", "render_html", "site_marks", "write_report"]
