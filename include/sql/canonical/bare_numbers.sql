-- The inventory's numbers that a dial plan may spell otherwise: those without a '+' (which start
-- with a digit: from '0' on in the "C" collation), longer than an extension (%(extension_digits)s),
-- or every one of them when the plan maps extensions onto DIDs (%(extensions_mapped)s).
SELECT number FROM number_inventory
WHERE number >= '0' AND (octet_length(number) > %(extension_digits)s OR %(extensions_mapped)s)
