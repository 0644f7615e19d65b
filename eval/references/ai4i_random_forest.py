"""scikit-learn's RandomForestClassifier (100 trees, defaults) on AI4I 2020, on the split our forest uses.

Run by eval/references/index.mjs. Input (stdin, JSON): {"file", "target", "drop", "holdoutLast", "seeds"}.
The first (1 - holdoutLast) of the rows in file order train, the rest are scored (never shuffled); the dropped
columns are the ids and the five failure modes (they leak the target); Type is one-hot encoded. F1 is of
predict() (probability 0.5), PR-AUC is average precision; training time is fit() alone, one thread (n_jobs=None).
"""
import json
import sys
import time

import pandas as pd
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score

spec = json.load(sys.stdin)
frame = pd.read_csv(spec["file"])
y = frame[spec["target"]].to_numpy()
x = pd.get_dummies(frame.drop(columns=spec["drop"] + [spec["target"]]), dtype=float).to_numpy()
train = int(round(len(frame) * (1 - spec["holdoutLast"])))
runs = []
for seed in spec["seeds"]:
    model = RandomForestClassifier(n_estimators=100, random_state=seed)
    started = time.perf_counter()
    model.fit(x[:train], y[:train])
    train_ms = (time.perf_counter() - started) * 1000
    p = model.predict_proba(x[train:])[:, 1]
    label = model.predict(x[train:])
    truth = y[train:]
    runs.append({
        "seed": seed,
        "f1": f1_score(truth, label),
        "precision": precision_score(truth, label, zero_division=0),
        "recall": recall_score(truth, label),
        "prAuc": average_precision_score(truth, p),
        "rocAuc": roc_auc_score(truth, p),
        "trainMs": train_ms,
    })
json.dump({"version": sklearn.__version__, "trainRows": train, "testRows": len(frame) - train, "features": x.shape[1], "runs": runs}, sys.stdout)
