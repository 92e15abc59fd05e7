"""Tests of crmcore.marketing."""
