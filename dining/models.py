# Canteens, menus and food-safety records arrive with their issue.
