//! The SLO grammar is Goose 0.19's threshold grammar: both parsers accept and refuse the
//! same rules, and agree on the limit.

use goose::threshold::Threshold;
use perf_core::Slo;

#[test]
fn perf_core_and_goose_agree_on_every_rule() {
    let rules = [
        "p95<200ms",
        "p99<=1s",
        "error-rate<1%",
        "rps>=500",
        "p99.9<2s for GET /api/items",
        "avg<250",
        "max<800us",
        "error-rate<0.5",
        "p50>1ms",
        "rps>10",
        "p95 < 200ms",
        "p95<200ms for",
        "p100<1s",
        "p0<1s",
        "p95",
        "<1s",
        "lat<1s",
        "p95<fast",
        "error-rate<150%",
        "p95<0",
        "p95=<1s",
        "rps>=-5",
        "",
        "error-rate>100%",
        "p95<<1s",
        "p95<1.5s",
        "p95<1e3ms",
        "p-5<1s",
    ];
    for r in rules {
        let ours = r.parse::<Slo>();
        let goose = r.parse::<Threshold>();
        assert_eq!(
            ours.is_ok(),
            goose.is_ok(),
            "{r:?}: perf-core {ours:?}, goose {goose:?}"
        );
        if let (Ok(o), Ok(g)) = (&ours, &goose) {
            assert_eq!(o.rule, g.to_string(), "{r:?}");
        }
    }
}
