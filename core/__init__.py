"""The bottom layer: helpers every app shares (permissions, errors, input guards, admin
mixins, time utilities, safe outbound requests, task retries). It imports no app."""
