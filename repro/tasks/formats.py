"""The format handlers' base classes (defined beside `Task` in repro.tasks.base, which types its `format`
with them): what the engine asks of a format, every capability declared.

A format module (`classification`, `multiple_choice`, `tagging`, `qa`, `retrieval`, `mlm`,
`translated`) subclasses one of:

- `RetrievalFormat`: evaluated from an encoder without training (BUCC, Tatoeba);
- `TrainedFormat`: fine-tuned through a head (the MLM pseudo-task, which rides along in a mixture);
- `PredictingFormat`: a trained format that also predicts per row, so it can be evaluated as a
  target and trained alone.

Required methods are abstract: a subclass that lacks one cannot be instantiated, and the error
names what is missing.  Optional capabilities have defaults here, so the engine reads attributes
instead of probing for them.
"""
from repro.tasks.base import Format, PredictingFormat, RetrievalFormat, TrainedFormat

__all__ = ["Format", "PredictingFormat", "RetrievalFormat", "TrainedFormat"]
