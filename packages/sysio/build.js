// Placeholder: replaced by the addon build (issue 2).
