"""Reading input files: tables of the data folder and public data sources."""
