"""Tests of the cell-scale cascade simulator."""
