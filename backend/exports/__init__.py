"""Exports of cases (CSV, XLSX, GeoJSON) and evaluation tables (XLSX), streamed in constant memory and audited."""
