# R forecast's ets, auto.arima and stlf on the bike folds (run by eval/references/index.mjs).
# Input (stdin, JSON): { "values": [...], "origins": [...], "horizon": 28, "frequency": 7, "level": 80 }.
# Output (stdout, JSON): per method, per origin, the point forecast and the 80 % interval, and the fit seconds.
suppressPackageStartupMessages({
  library(forecast)
  library(jsonlite)
})
input <- fromJSON(file("stdin"))
y_all <- as.numeric(input$values)
h <- input$horizon
methods <- list(
  ets = function(y) forecast(ets(y), h = h, level = input$level),
  auto.arima = function(y) forecast(auto.arima(y), h = h, level = input$level),
  stlf = function(y) stlf(y, h = h, level = input$level)
)
out <- list(version = as.character(packageVersion("forecast")), methods = list())
for (name in names(methods)) {
  folds <- list()
  started <- proc.time()[["elapsed"]]
  for (origin in input$origins) {
    y <- ts(y_all[seq_len(origin)], frequency = input$frequency)
    fc <- methods[[name]](y)
    folds[[length(folds) + 1]] <- list(origin = origin, mean = as.numeric(fc$mean), lower = as.numeric(fc$lower[, 1]), upper = as.numeric(fc$upper[, 1]))
  }
  out$methods[[name]] <- list(folds = folds, seconds = proc.time()[["elapsed"]] - started)
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
