//! Terraform Registry documentation, generated like tfplugindocs does (function pages wholly from
//! their signatures and `examples/functions/`): hand-written pages under
//! `templates/` with `{{example}}`, `{{schema}}` and `{{import}}` placeholders, filled from the
//! live schemas and the files under `examples/`, and `{{network}}` on each provider page, filled
//! from `templates/network.md` (what every provider does behind a corporate network). The result is committed under `docs/`; a test
//! fails when it differs, so the docs cannot drift from the code. Regenerate with
//! `UPDATE_DOCS=1 cargo test --lib docs`.

use std::path::{Path, PathBuf};

use crate::plugin::function::Signature;
use crate::plugin::schema::{Attribute, IdentitySchema, Schema};
use crate::plugin::value::{Type, Value};
use crate::vendors::VENDORS;

/// One generated page: where it goes and what it says.
pub struct Page {
    pub path: PathBuf,
    pub content: String,
}

fn type_label(t: &Type) -> String {
    match t {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_label(e)),
        Type::Set(e) => format!("Set of {}", type_label(e)),
        Type::Map(e) => format!("Map of {}", type_label(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn default_text(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`\"{s}\"`"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        _ => "`null`".into(),
    }
}

fn attribute_line(a: &Attribute) -> String {
    let mut flags = vec![type_label(&a.ty)];
    if a.sensitive {
        flags.push("Sensitive".into());
    }
    let mut line = format!("- `{}` ({}) {}", a.name, flags.join(", "), a.description.trim());
    for v in &a.validators {
        line.push(' ');
        line.push_str(&v.describe());
    }
    if a.force_new {
        line.push_str(" Changing it replaces the resource.");
    }
    if let Some(d) = &a.default
        && !a.description.contains("Defaults to")
    {
        line.push_str(&format!(" Defaults to {}.", default_text(d)));
    }
    if let Some(env) = &a.env
        && !a.description.contains(env.as_str())
    {
        line.push_str(&format!(" Environment variable: `{env}`."));
    }
    line
}

/// The `## Schema` section in tfplugindocs' layout.
pub fn schema_markdown(s: &Schema) -> String {
    let mut out = String::from("<!-- schema generated from the provider's code -->\n## Schema\n");
    type Pick = fn(&Attribute) -> bool;
    let groups: [(&str, Pick); 3] = [
        ("Required", |a| a.required),
        ("Optional", |a| a.optional),
        ("Read-Only", |a| a.computed && !a.optional && !a.required),
    ];
    for (title, pick) in groups {
        let lines: Vec<String> = s.attributes.iter().filter(|a| pick(a)).map(attribute_line).collect();
        if !lines.is_empty() {
            out.push_str(&format!("\n### {title}\n\n{}\n", lines.join("\n")));
        }
    }
    out
}

/// The identity section of a resource page: what `import { identity = { ... } }` takes.
pub fn identity_markdown(s: &IdentitySchema) -> String {
    let mut out = String::from(
        "\n### Identity Schema\n\nThe resource identity (Terraform 1.12 and later, OpenTofu 1.12 and later): what \
         `import { to = ..., identity = { ... } }` takes instead of an ID, and what `terraform query` lists.\n",
    );
    for (title, required) in [("Required", true), ("Optional", false)] {
        let lines: Vec<String> = s
            .attributes
            .iter()
            .filter(|a| a.required == required)
            .map(|a| format!("- `{}` ({}) {}", a.name, type_label(&a.ty), a.description.trim()))
            .collect();
        if !lines.is_empty() {
            out.push_str(&format!("\n#### {title}\n\n{}\n", lines.join("\n")));
        }
    }
    out
}

/// The list-resource section: the `config` block of a `list` block in a `.tfquery.hcl` file.
pub fn list_markdown(type_name: &str, s: &Schema) -> String {
    let mut out = format!(
        "\n### List Resource Schema\n\n`list \"{type_name}\" \"...\" {{ config {{ ... }} }}` in a `.tfquery.hcl` file \
         (`terraform query`, Terraform 1.14 and later). {}\n",
        s.description.trim()
    );
    let lines: Vec<String> = s.attributes.iter().map(attribute_line).collect();
    if lines.is_empty() {
        out.push_str("\nIts `config` block takes no arguments and may be left out.\n");
    } else {
        out.push_str(&format!("\n#### Optional\n\n{}\n", lines.join("\n")));
    }
    out
}

fn read(root: &Path, rel: &str) -> Result<String, String> {
    std::fs::read_to_string(root.join(rel)).map_err(|e| format!("{rel}: {e}"))
}

fn fill(template: &str, example: Option<&str>, schema: &str, import: Option<&str>) -> String {
    let mut s = template.replace("{{schema}}", schema.trim_end());
    if let Some(e) = example {
        s = s.replace("{{example}}", &format!("```terraform\n{}\n```", e.trim_end()));
    }
    if let Some(i) = import {
        s = s.replace("{{import}}", &format!("```shell\n{}\n```", i.trim_end()));
    }
    s
}

/// What the function examples judge for each provider type: its data source examples' objects
/// (`examples/data-sources/`), and an exception scope.
fn function_example_values(t: &str) -> (&'static str, &'static str) {
    match t {
        "zitadel" => {
            ("[data.zitadel_login_policy.payments, data.zitadel_lockout_policy.payments]", "200000000000000002")
        }
        "onlyoffice" => ("[data.onlyoffice_tfa_settings.portal, data.onlyoffice_login_settings.this]", "portal"),
        "akana" => {
            ("[data.akana_twofa_settings.portal, data.akana_login_settings.portal]", "tenantbusiness.acmepaymentscorp")
        }
        _ => ("[data.rhombus_mfa_settings.org]", "own"),
    }
}

/// A provider function's page: signature, arguments and return type from the code, the example
/// from `examples/functions/<name>.tf`.
fn function_page(root: &Path, t: &str, sig: &Signature) -> Result<Page, String> {
    let (objects, scope) = function_example_values(t);
    let example = read(root, &format!("examples/functions/{}.tf", sig.name))?
        .replace("PROVIDER", t)
        .replace("OBJECTS", objects)
        .replace("SCOPE", scope);
    let params: Vec<String> = sig.parameters.iter().map(|p| format!("{} {}", p.name, type_label(&p.ty))).collect();
    let args: String = sig
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}. `{}` ({}) {}\n", i + 1, p.name, type_label(&p.ty), p.description))
        .collect();
    let content = format!(
        "---\npage_title: \"{name} function - {t}\"\nsubcategory: \"\"\ndescription: |-\n  {summary}\n---\n\n# function: {name}\n\n\
         {description}\n\nTerraform 1.8 or later, OpenTofu 1.7 or later; the function needs no provider configuration.\n\n\
         ## Example Usage\n\n```terraform\n{example}\n```\n\n## Signature\n\n```text\n{name}({params}) {ret}\n```\n\n\
         ## Arguments\n\n{args}",
        name = sig.name,
        summary = sig.summary,
        description = sig.description,
        example = example.trim_end(),
        params = params.join(", "),
        ret = type_label(&sig.returns),
    );
    Ok(Page { path: PathBuf::from(format!("docs/{t}/functions/{}.md", sig.name)), content })
}

/// `docs/README.md`: a table of every provider, resource and data source page.
fn index(pages: &[Page]) -> Page {
    let mut content = String::from(
        "# Documentation\n\nOne page per provider type, per resource and per data source, in the Terraform Registry layout.\n\
         Generated from `templates/`, `examples/` and the schemas in code (`UPDATE_DOCS=1 cargo test --lib docs`);\n\
         do not edit these files by hand.\n\n| provider | resources | data sources | functions |\n|---|---|---|---|\n",
    );
    for v in VENDORS {
        let t = v.type_name;
        let links = |kind: &str| -> String {
            pages
                .iter()
                .filter_map(|p| p.path.strip_prefix(format!("docs/{t}/{kind}")).ok())
                .map(|rel| {
                    let short = rel.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                    format!("[{t}_{short}]({t}/{kind}/{})", rel.display())
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let functions = pages
            .iter()
            .filter_map(|p| p.path.strip_prefix(format!("docs/{t}/functions")).ok())
            .map(|rel| {
                let name = rel.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                format!("[{name}]({t}/functions/{})", rel.display())
            })
            .collect::<Vec<_>>()
            .join(", ");
        content.push_str(&format!(
            "| [{t}]({t}/index.md) | {} | {} | {functions} |\n",
            links("resources"),
            links("data-sources")
        ));
    }
    Page { path: PathBuf::from("docs/README.md"), content }
}

/// Renders every page from the templates under `root` (the repository root).
pub fn render_all(root: &Path) -> Result<Vec<Page>, String> {
    let mut pages = Vec::new();
    for v in VENDORS {
        let p = (v.provider)();
        let t = v.type_name;
        let network = read(root, "templates/network.md")?.replace("PREFIX", &t.to_ascii_uppercase());
        let tpl = read(root, &format!("templates/{t}/index.md"))?.replace("{{network}}", network.trim_end());
        let example = read(root, &format!("examples/provider/{t}.tf"))?;
        pages.push(Page {
            path: PathBuf::from(format!("docs/{t}/index.md")),
            content: fill(&tpl, Some(&example), &schema_markdown(p.schema()), None),
        });
        for r in p.resource_types() {
            let short = r.strip_prefix(&format!("{t}_")).unwrap_or(r);
            let (schema, _) = p.resource_schema(r).expect("listed resource has a schema");
            let tpl = read(root, &format!("templates/{t}/resources/{short}.md"))?;
            let example = read(root, &format!("examples/resources/{r}/resource.tf"))?;
            let import = read(root, &format!("examples/resources/{r}/import.sh"))?;
            let mut sections = schema_markdown(schema);
            let (identity, _) = p.identity(r).expect("every resource type has an identity");
            sections.push_str(&identity_markdown(identity));
            if let Some((list, _)) = p.list_schema(r) {
                sections.push_str(&list_markdown(r, list));
            }
            pages.push(Page {
                path: PathBuf::from(format!("docs/{t}/resources/{short}.md")),
                content: fill(&tpl, Some(&example), &sections, Some(&import)),
            });
        }
        for f in p.functions().values() {
            pages.push(function_page(root, t, f.signature())?);
        }
        for d in p.data_source_types() {
            let short = d.strip_prefix(&format!("{t}_")).unwrap_or(d);
            let (schema, _) = p.data_source_schema(d).expect("listed data source has a schema");
            let tpl = read(root, &format!("templates/{t}/data-sources/{short}.md"))?;
            let example = read(root, &format!("examples/data-sources/{d}/data-source.tf"))?;
            pages.push(Page {
                path: PathBuf::from(format!("docs/{t}/data-sources/{short}.md")),
                content: fill(&tpl, Some(&example), &schema_markdown(schema), None),
            });
        }
    }
    pages.push(index(&pages));
    for page in &pages {
        if let Some(ph) =
            ["{{example}}", "{{schema}}", "{{import}}", "{{network}}"].iter().find(|ph| page.content.contains(**ph))
        {
            return Err(format!("{}: placeholder {ph} left unfilled", page.path.display()));
        }
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when `docs/` no longer matches the schemas, templates or examples.
    #[test]
    fn docs_match_the_code() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pages = render_all(root).unwrap();
        let update = std::env::var_os("UPDATE_DOCS").is_some();
        let mut stale = Vec::new();
        for p in pages {
            let full = root.join(&p.path);
            if std::fs::read_to_string(&full).ok().as_deref() != Some(p.content.as_str()) {
                if update {
                    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                    std::fs::write(&full, &p.content).unwrap();
                } else {
                    stale.push(p.path.display().to_string());
                }
            }
        }
        assert!(stale.is_empty(), "docs out of date: {stale:?}; run `UPDATE_DOCS=1 cargo test --lib docs`");
    }

    #[test]
    fn attribute_lines_carry_flags_defaults_and_env() {
        let a = Attribute::optional("api_key", Type::String, "The key.").sensitive().env("X_KEY");
        assert_eq!(attribute_line(&a), "- `api_key` (String, Sensitive) The key. Environment variable: `X_KEY`.");
        let b = Attribute::optional_computed("n", Type::set(Type::String), "Things.").default_bool(false);
        assert_eq!(attribute_line(&b), "- `n` (Set of String) Things. Defaults to `false`.");
    }
}
