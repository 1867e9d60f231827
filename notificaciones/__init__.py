"""The outbound layer: outbox and its state machine, dispatcher, jobs, audiences and gateways."""
