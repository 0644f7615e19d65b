"""statsmodels' damped Holt-Winters (additive trend and weekly season) on the bike folds.

Run by eval/references/index.mjs. Input (stdin, JSON): {"values", "origins", "horizon", "frequency"}.
Output (stdout, JSON): per origin the point forecast, and the fit seconds.
"""
import json
import sys
import time
import warnings

import numpy as np
import statsmodels
from statsmodels.tsa.holtwinters import ExponentialSmoothing

spec = json.load(sys.stdin)
values = np.asarray(spec["values"], dtype=float)
folds = []
started = time.perf_counter()
with warnings.catch_warnings():
    # Convergence warnings of the optimiser go to stderr otherwise; the forecasts are scored either way.
    warnings.simplefilter("ignore")
    for origin in spec["origins"]:
        fit = ExponentialSmoothing(values[:origin], trend="add", damped_trend=True, seasonal="add", seasonal_periods=spec["frequency"]).fit()
        folds.append({"origin": origin, "mean": fit.forecast(spec["horizon"]).tolist()})
json.dump({"version": statsmodels.__version__, "methods": {"dampedHoltWinters": {"folds": folds, "seconds": time.perf_counter() - started}}}, sys.stdout)
