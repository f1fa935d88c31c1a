"""Chinese recognizers: mainland identifiers, phone numbers, bank cards, addresses, LAC NER."""
