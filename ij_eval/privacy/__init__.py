"""Personal data in text and columns: detectors, screening of what may be published."""
