"""CharLSTM's model in PyTorch: one-hot input -> recurrent stack -> dropout -> linear decoder.

The module's attribute names (`lstm` / `gru` / `rnn`, `decoder`) make its state dict use exactly the tensor
names of the CharLSTM checkpoint format (`lstm.weight_ih_l0`, ..., `decoder.weight`, `decoder.bias`).
"""

import torch
import torch.nn.functional as F
from torch import nn

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class CharModel(nn.Module):
    """A character model: `forward(x [T, B] int64, state) -> (logits [T, B, V], state)`.

    The state is `(h, c)` for lstm and `h` for gru/rnn, each [L, B, H]; `None` means zeros.
    Weights start from PyTorch's default initialisation.
    """

    def __init__(self, cell: str, vocab_size: int, hidden: int, layers: int, dropout: float = 0.0):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {sorted(CELLS)}")
        self.cell = cell
        self.vocab_size = vocab_size
        self.hidden = hidden
        self.layers = layers
        # `nn.RNN` defaults to tanh, which is CharLSTM's plain rnn cell.
        setattr(self, cell, CELLS[cell](vocab_size, hidden, layers, dropout=dropout if layers > 1 else 0.0))
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden, vocab_size)

    @property
    def recurrent(self) -> nn.RNNBase:
        return getattr(self, self.cell)

    def zero_state(self, batch: int, dtype=torch.float32, device=None):
        """The all-zero carried state for `batch` streams."""
        h = torch.zeros(self.layers, batch, self.hidden, dtype=dtype, device=device)
        return (h, torch.zeros_like(h)) if self.cell == "lstm" else h

    def forward(self, x: torch.Tensor, state=None):
        one_hot = F.one_hot(x, self.vocab_size).to(self.decoder.weight.dtype)
        output, state = self.recurrent(one_hot, state)
        return self.decoder(self.dropout(output)), state

    @staticmethod
    def from_config(config: dict) -> "CharModel":
        """Builds the model described by a checkpoint's `config` metadata object."""
        return CharModel(config["cell"], int(config["vocab_size"]), int(config["hidden"]), int(config["layers"]),
                         float(config.get("dropout", 0.0)))

    def config(self) -> dict:
        """The checkpoint `config` metadata object of this model."""
        return {"cell": self.cell, "layers": self.layers, "hidden": self.hidden, "vocab_size": self.vocab_size,
                "dropout": self.dropout.p}


def detach_state(state):
    """Cuts the carried state off the autograd graph (truncated backpropagation through time)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
