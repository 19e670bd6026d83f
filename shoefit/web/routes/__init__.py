"""The API's endpoints, one blueprint per resource."""
