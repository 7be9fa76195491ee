"""Scrapy spiders: the generic ``news`` spider (and any site that truly needs code)."""
