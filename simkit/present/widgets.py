"""The interactive views (ipywidgets): the rules ``Explorer`` and the office's ``Dashboard`` around it (open data
and scenario files, compare two scenarios, download the comparison workbook and the drafting note).

``simkit dashboard`` serves the dashboard as a web page (``simkit/present/dashboard.ipynb`` under Voila).
"""

from __future__ import annotations

from .dashboard import Dashboard
from .explorer import CHARTS, Explorer

__all__ = ["CHARTS", "Dashboard", "Explorer"]
