"""The device APIs the read speaks, one module each, over one shared transport.

- ``transport``: requests with retries and backoff, a wall-clock deadline and a size bound per
  request, redirects checked, the HTTP errors named; the errors and the result every adapter returns.
- ``json_list``: the SPEC's offset/limit JSON list with a ``total`` (extra ``api`` = ``json``).
- ``mediant_cli``: a Mediant SBC's ``show voip register db sbc list`` run through its REST API's CLI
  script upload (``mediant-cli``); ``cli_listing`` parses the CLI's text.
- ``cursor``: a cursor-paged JSON collection of the Mediant REST API's kind (``cursor``).
- ``counter``: the device's own count of registered users (a Mediant KPI), the independent proof that
  a ``mediant-cli`` listing or a ``cursor`` walk is complete (extras ``count_check``, ``count_path``,
  ``count_tolerance``).

``number_inventory.device_client`` is the public entry that picks the adapter.
"""
