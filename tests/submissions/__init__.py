"""Builders of submission files for the autograder's tests: filled from the reference solution, then mangled
the way Colab, students and attackers really do."""
