//! `suanli catalog accelerators|servers|models|show`.

use suanli_core::Catalog;
use suanli_report::{CatalogKind, catalog_entry, catalog_list};

use crate::cli::CatalogCommand;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, what: &CatalogCommand) -> Result<(), CliError> {
    let (kind, out) = match what {
        CatalogCommand::Accelerators { out } => (CatalogKind::Accelerators, out),
        CatalogCommand::Servers { out } => (CatalogKind::Servers, out),
        CatalogCommand::Models { out } => (CatalogKind::Models, out),
        CatalogCommand::Show { id, out } => {
            let text = catalog_entry(catalog, id, super::format(out.format)?)?;
            return io::emit(&text, out.output.as_deref());
        }
    };
    io::emit(&catalog_list(catalog, kind, super::format(out.format)?)?, out.output.as_deref())
}
