"""Label sets (meta), folder readers (LIP / CIHP / ATR), the training-item wrapper and toy data."""
