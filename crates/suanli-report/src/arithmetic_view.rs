//! `suanli flops`: a model's parameters and FLOPs.

use suanli_core::model::Arithmetic;
use suanli_core::sigfig::human;

use crate::contract::{Header, ModelRef, contract};
use crate::{Format, Table};

/// `GroupedQuery` → `grouped_query`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// Renders a model's arithmetic.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_arithmetic(a: &Arithmetic, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json || format == Format::Csv {
        let header = Header {
            model: ModelRef {
                id: a.model.clone(),
                name: a.name.clone(),
                params: a.params.total.round() as u64,
                active_params: a.params.active.round() as u64,
            },
            ..Header::default()
        };
        let mut body = serde_json::to_value(a)?;
        if let Some(o) = body.as_object_mut() {
            o.remove("name");
            o.insert("attention".into(), snake(&a.attention).into());
            o.insert("notes".into(), serde_json::Value::Array(Vec::new()));
        }
        if format == Format::Csv {
            return crate::contract::contract_csv("flops", &header, &body);
        }
        return contract("flops", &header, &body);
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
