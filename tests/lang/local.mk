# Graph language tests.
