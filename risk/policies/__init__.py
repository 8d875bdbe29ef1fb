"""Standing policies: when to rebalance or re-hedge. One object, one decision function.

Each policy's `decide` takes a state whose fields are numpy arrays over paths and returns
a trade mask and the new position: `keel watch` calls it with arrays of length 1 on live
chain state, the backtester with arrays of length N over simulated paths. There is no
second copy of any policy's logic.
"""
