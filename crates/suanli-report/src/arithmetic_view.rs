//! `suanli flops`: a model's parameters and FLOPs.

use suanli_core::model::Arithmetic;
use suanli_core::sigfig::human;

use crate::{Format, JSON_SCHEMA_VERSION, Table, to_json};

/// Renders a model's arithmetic.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_arithmetic(a: &Arithmetic, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json {
        return to_json(
            &serde_json::json!({ "schema_version": JSON_SCHEMA_VERSION, "kind": "flops", "result": a }),
        );
    }
    let p = &a.params;
    let mut t = Table::new(&["quantity", ">value"]);
    let rows: Vec<(&str, String)> = vec![
        ("attention", a.attention.clone()),
        ("parameters, total", human(p.total)),
        ("parameters, active per token", human(p.active)),
        ("parameters, non-embedding", human(a.non_embedding_params)),
        ("  embedding (+ learned positions)", human(p.embedding)),
        ("  output projection (untied)", human(p.unembedding)),
        ("  attention", human(p.attention)),
        ("  dense FFN", human(p.ffn)),
        ("  experts and routers", human(p.experts)),
        ("  norms", human(p.norms)),
        ("forward FLOP/token, no attention (2·N)", human(a.forward_flop_per_token_no_attention)),
        ("attention FLOP/token at seq_len", human(a.attention_flop_per_token)),
        ("forward FLOP/token", human(a.forward_flop_per_token)),
        ("seq_len", human(a.seq_len)),
    ];
    for (k, v) in rows {
        t.row([k.to_string(), v]);
    }
    if let Some(tr) = &a.training {
        for (k, v) in [
            ("training tokens", human(tr.tokens)),
            ("training FLOP, 6·N·D", human(tr.flop_6nd)),
            ("training PF/s-days, 6·N·D", human(tr.pf_days_6nd)),
            ("training FLOP, shape + attention", human(tr.flop_with_attention)),
            ("training PF/s-days, shape + attention", human(tr.pf_days_with_attention)),
        ] {
            t.row([k.to_string(), v]);
        }
    }
    let title = format!("{} ({})\n\n", a.name, a.model);
    Ok(match format {
        Format::Markdown => format!("## {title}{}", t.to_markdown()),
        _ => format!("{title}{}", t.to_text()),
    })
}
