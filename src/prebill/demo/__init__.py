"""Demo data: a realistic portfolio of a French accounting firm, its timesheets and payroll metrics."""
