"""Scrapy item pipelines: thin adapters over the steps in ``monitor``."""
