"""The presentation layer: every Chinese and English label, tables for people, sentences, reports, plots, the
explorer widget and the bundled font."""
