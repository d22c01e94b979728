"""A run's figures for people: plain text for a terminal, one offline HTML page."""

from graph.report.page import html_report
from graph.report.text import text_summary

__all__ = ["html_report", "text_summary"]
