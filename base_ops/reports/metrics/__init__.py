"""The rates of docs/domain.md "Rates and reports": one SQL aggregate per metric, the report filter, periods."""
