# Reference numbers for csindex's MLR with FIML (missing data): R lavaan, estimator = "MLR",
# missing = "ml", on tests/reference/satisfaction_missing.csv (the ECSI satisfaction data with a
# MAR pattern written by tools/make_satisfaction_missing.py). Writes
# tests/reference/cbsem_satisfaction_missing_lavaan_mlr_fiml.json.
#
#   Rscript tools/lavaan_mlr_fiml.R            (from the repository root)
#
# R and lavaan are needed only to regenerate the file (Debian: r-base-core r-cran-lavaan
# r-cran-jsonlite); csindex itself never calls R.

suppressPackageStartupMessages({library(lavaan); library(jsonlite)})

data_file <- "tests/reference/satisfaction_missing.csv"
out_file <- "tests/reference/cbsem_satisfaction_missing_lavaan_mlr_fiml.json"

model <- "
IMAG =~ imag1 + imag2 + imag3 + imag4 + imag5
EXPE =~ expe1 + expe2 + expe3 + expe4 + expe5
QUAL =~ qual1 + qual2 + qual3 + qual4 + qual5
VAL  =~ val1 + val2 + val3 + val4
SAT  =~ sat1 + sat2 + sat3 + sat4
LOY  =~ loy1 + loy2 + loy3 + loy4
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
LOY  ~ IMAG + SAT
"

# ---------------------------------------------------------------- a JSON writer with 17 digits
num <- function(x) {
  if (is.null(x) || length(x) == 0) return("null")
  if (is.na(x) || !is.finite(x)) return("null")
  if (is.logical(x)) return(if (x) "true" else "false")
  if (x == round(x) && abs(x) < 1e15) return(sprintf("%.0f", x))
  sprintf("%.17g", x)
}
js <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x) || length(x) > 1 || (!is.null(names(x)) && length(x) >= 1)) {
    if (!is.null(names(x)) && all(names(x) != "")) {
      parts <- mapply(function(k, v) paste0(toJSON(k, auto_unbox = TRUE), ": ", js(v)), names(x),
                      if (is.list(x)) x else as.list(x))
      return(paste0("{", paste(parts, collapse = ", "), "}"))
    }
    return(paste0("[", paste(vapply(if (is.list(x)) x else as.list(x), js, ""), collapse = ", "), "]"))
  }
  if (is.character(x)) return(as.character(toJSON(x, auto_unbox = TRUE)))
  if (is.factor(x)) return(as.character(toJSON(as.character(x), auto_unbox = TRUE)))
  num(x)
}

# ---------------------------------------------------------------- fits
d <- read.csv(data_file)
items <- setdiff(names(d), "gender")
fit <- sem(model, data = d, estimator = "MLR", missing = "ml")
tight <- sem(model, data = d, estimator = "MLR", missing = "ml", optim.method = "BFGS",
             control = list(reltol = 1e-16, maxit = 10000))
fit_ml <- sem(model, data = d, missing = "ml")
tight_ml <- sem(model, data = d, missing = "ml", optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))

key <- function(pe) trimws(paste(pe$lhs, pe$op, pe$rhs))
estimates <- function(f) {
  pe <- parameterEstimates(f)
  out <- lapply(seq_len(nrow(pe)), function(i) list(est = pe$est[i], se = pe$se[i], z = pe$z[i],
                                                    pvalue = pe$pvalue[i]))
  names(out) <- key(pe)
  out
}
tests <- function(tl) lapply(tl, function(t) t[setdiff(names(t), "label")])
fiml_corrected <- function(f, version = "V3") {
  fc <- lavaan:::lav_fit_fiml_corrected(f, version = version)
  lapply(fc, as.numeric)
}
h1 <- function(f) {
  h <- lavTech(f, "h1", add.labels = TRUE)[[1]]
  list(mean = as.list(setNames(as.numeric(h$mean), items)),
       cov_vech = as.numeric(lav_matrix_vech(h$cov)))
}
inv_info_options <- function(f) {
  # does the FIML-corrected scaling factor use the Hessian or the h1-based information for E?
  g <- f
  g@Options$h1.information <- c("unstructured", "unstructured")
  g@Options$observed.information <- c("h1", "h1")
  a <- lavTech(f, "inverted.information")
  b <- lavTech(g, "inverted.information")
  max(abs(a - b))
}
summary_of <- function(f) {
  list(converged = lavInspect(f, "converged"), iterations = lavInspect(f, "iterations"),
       max_abs_gradient = max(abs(lavInspect(f, "optim.gradient"))),
       parameter_estimates = estimates(f), fit_measures = as.list(fitMeasures(f)),
       tests = tests(f@test), baseline_tests = tests(f@baseline$test),
       fiml_corrected = fiml_corrected(f), h1 = h1(f))
}

res <- summary_of(fit)
res$auxiliary_tight_optimisation <- c(
  list(call = 'sem(model, data, estimator = "MLR", missing = "ml", optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))'),
  summary_of(tight),
  list(max_abs_est_diff_vs_default = max(abs(coef(tight) - coef(fit))),
       inverted_information_max_abs_change_with_h1_options = inv_info_options(tight)))
pe_ml <- parameterEstimates(fit_ml)
res$plain_ml_fiml <- list(call = 'sem(model, data, missing = "ml")',
                          se = as.list(setNames(pe_ml$se, key(pe_ml))),
                          max_abs_est_diff_vs_mlr = max(abs(coef(fit_ml) - coef(fit))),
                          fit_measures = as.list(fitMeasures(fit_ml)),
                          fiml_corrected_v6 = fiml_corrected(fit_ml, "V6"),
                          tight = list(
                            call = 'sem(model, data, missing = "ml", optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))',
                            max_abs_est_diff_vs_mlr_tight = max(abs(coef(tight_ml) - coef(tight))),
                            fit_measures = as.list(fitMeasures(tight_ml)),
                            fiml_corrected_v6 = fiml_corrected(tight_ml, "V6")))

opt <- lavInspect(fit, "options")
sha <- trimws(system(paste("sha256sum", data_file, "| cut -d' ' -f1"), intern = TRUE))
doc <- list(
  case = "cbsem_satisfaction_missing_lavaan_mlr_fiml",
  tool = list(name = "R lavaan", version = as.character(packageVersion("lavaan")),
              R = R.version.string, source = "Debian bookworm r-cran-lavaan"),
  dataset = list(file = basename(data_file), sha256 = sha, n_rows = nrow(d),
                 n_used = lavInspect(fit, "nobs"), columns_used = items,
                 missing = as.list(colSums(is.na(d[items]))),
                 n_patterns = nrow(lavInspect(fit, "pattern")),
                 origin = "satisfaction.csv with a MAR pattern from tools/make_satisfaction_missing.py (seed 20261207)"),
  model = list(lavaan_syntax = model),
  settings = list(
    call = 'lavaan::sem(model, data = d, estimator = "MLR", missing = "ml")  (all other options default)',
    estimator = opt$estimator, se = opt$se, test = opt$test, missing = opt$missing,
    information = opt$information, observed_information = opt$observed.information,
    h1_information = opt$h1.information, information_meat = opt$information.meat,
    h1_information_meat = opt$h1.information.meat, meanstructure = opt$meanstructure,
    optimizer = opt$optim.method,
    notes = list(
      "parameter keys 'lhs op rhs' as lavaan prints them; intercepts 'item ~1'",
      "h1: the EM (saturated) means and covariance, vech = column-wise lower triangle",
      "fiml_corrected: lavaan:::lav_fit_fiml_corrected(fit, 'V3') (Zhang & Savalei), the statistic and scaling factors behind cfi.robust, tli.robust, rmsea.robust with missing = 'ml'",
      "tight run: BFGS reltol 1e-16 (compare formulas there: the ECSI likelihood is flat)",
      "plain_ml_fiml: estimator = 'ML', missing = 'ml'; its robust CFI/TLI/RMSEA use lavaan's FIML-C 'V6' (no first-order information), fiml_corrected_v6"
    )),
  results = res)
writeLines(js(doc), out_file)
cat("wrote", out_file, "\n")
