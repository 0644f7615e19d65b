"""statsmodels OLS for the six reference elasticities, on the designs of eval/suites/pricing.mjs.

Run by eval/references/index.mjs. Input (stdin, JSON): {"cafe": file, "avocado": file}. Log quantity on log
price per group, rows with a non-positive price or quantity left out; avocado with region and year fixed effects
(dummy-coded, first level dropped). Output: per group the slope on log price and its standard error.
"""
import json
import sys

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.formula.api as smf

spec = json.load(sys.stdin)


def fit(frame, price, quantity, controls):
    frame = frame[(frame[price] > 0) & (frame[quantity] > 0)].assign(lp=lambda f: np.log(f[price]), lq=lambda f: np.log(f[quantity]))
    formula = "lq ~ lp" + "".join(f" + C({c})" for c in controls)
    model = smf.ols(formula, data=frame).fit()
    return {"elasticity": model.params["lp"], "se": model.bse["lp"], "n": int(model.nobs)}


cafe = pd.read_csv(spec["cafe"])
avocado = pd.read_csv(spec["avocado"])
out = {
    "version": statsmodels.__version__,
    "cafe": {str(g): fit(f, "PRICE", "QUANTITY", []) for g, f in cafe.groupby("SELL_ID")},
    "avocado": {str(g): fit(f, "AveragePrice", "TotalVolume", ["region", "year"]) for g, f in avocado.groupby("type")},
}
json.dump(out, sys.stdout)
