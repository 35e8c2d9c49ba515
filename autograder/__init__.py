"""Instructor tools of the course: release the student notebooks and autograde submissions."""
