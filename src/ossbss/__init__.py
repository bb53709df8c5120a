"""ossbss: an open-source OSS/BSS for telecom operators and ISPs."""

__version__ = "0.1.0"
