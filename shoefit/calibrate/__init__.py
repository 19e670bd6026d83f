"""Calibration: a store's kept and returned try-ons tune how much each requirement weighs (`shoefit calibrate`)."""
