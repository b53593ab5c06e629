"""Limits of what an experiment can be. Beyond them a value is a typo, not a design; each says why.

Checked where protocols are built (``spec.interventions``) and where studies and trials are read
(``studies.spec``), so no run starts, and nothing large is allocated, for an impossible value.
"""
MAX_CELLS = 1e9          # injected cells: 1e9 CT26 cells weigh about 1 g, a fifth of a mouse's liver
MAX_DOSE_UG = 1e7        # one administration: 10 g of antibody (a patient's 1200 mg is 1.2e6 ug)
MAX_DAYS = 7300.0        # follow-up and dose days: twenty years (trials follow patients up to 15)
MAX_FLOW_EVENTS = 10**7  # CD45+ events per flow sample (cytometers acquire 1e4-1e6)
MAX_GROWTH = 5.0         # divisions of a cancer cell per day (the fastest mammalian cycles take ~8 h)
MAX_SEED = 2**63 - 1     # seeds are stored as 64-bit integers
