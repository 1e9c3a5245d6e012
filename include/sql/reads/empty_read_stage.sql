-- Empty a read's stage (the device's total changed; the read starts over).
TRUNCATE {stage}, {repeats}
