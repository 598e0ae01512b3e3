"""The firm's billing rulebook: plain values in, plain values out, no Django."""
