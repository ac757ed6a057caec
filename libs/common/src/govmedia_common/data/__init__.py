"""Reference data shared by the services: the shipped starter set of administrative divisions."""
