"""filings"""
