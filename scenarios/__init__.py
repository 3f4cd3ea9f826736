"""The scenario library, shipped as package data so installed copies can list and load it."""
