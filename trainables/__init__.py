"""Forecasting trainables on GEFCom2014. Only this package imports TensorFlow (lazily)."""
