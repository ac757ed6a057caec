"""Hot words (热词): daily keywords per region and their trend."""
