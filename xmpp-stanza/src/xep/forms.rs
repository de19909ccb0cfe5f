//! XEP-0004 data forms ([`DataForm`], [`Field`], every [`FieldType`]), validation of a
//! submission against its form, and XEP-0068 `FORM_TYPE`.

use std::fmt;
use std::str::FromStr;

use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use crate::util::{no_children, parse_bool};
use crate::{ParseError, Payload};

/// `jabber:x:data`.
pub const NS: &str = "jabber:x:data";

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident, $elem:literal, $attr:literal { $($(#[$d:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$d])* $v),* }
        impl $name {
            /// The attribute value.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),* } }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($s => Ok($name::$v),)*
                    _ => Err(ParseError::BadAttribute {
                        element: $elem, attr: $attr, value: s.to_owned(),
                        reason: concat!("not a defined ", $elem, " ", $attr),
                    }),
                }
            }
        }
    };
}

str_enum!(
    /// The form `type` (XEP-0004 §3.1).
    FormType, "x", "type" {
        /// `form`: the form to fill in.
        Form = "form",
        /// `submit`: the filled-in form.
        Submit = "submit",
        /// `cancel`: the submitter declines.
        Cancel = "cancel",
        /// `result`: data returned (may have `<reported/>` and `<item/>`s).
        Result = "result",
    }
);

str_enum!(
    /// A field `type` (XEP-0004 §3.3).
    FieldType, "field", "type" {
        /// `boolean`.
        Boolean = "boolean",
        /// `fixed`: a label, not submitted.
        Fixed = "fixed",
        /// `hidden`.
        Hidden = "hidden",
        /// `jid-multi`.
        JidMulti = "jid-multi",
        /// `jid-single`.
        JidSingle = "jid-single",
        /// `list-multi`.
        ListMulti = "list-multi",
        /// `list-single`.
        ListSingle = "list-single",
        /// `text-multi`.
        TextMulti = "text-multi",
        /// `text-private`.
        TextPrivate = "text-private",
        /// `text-single` (the default).
        TextSingle = "text-single",
    }
);

impl FieldType {
    /// Whether the type allows more than one value.
    pub fn is_multi(self) -> bool {
        matches!(
            self,
            FieldType::JidMulti | FieldType::ListMulti | FieldType::TextMulti
        )
    }
}

/// An `<option/>` of a list field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldOption {
    /// The `label` attribute.
    pub label: Option<String>,
    /// The `<value/>`.
    pub value: String,
}

/// A `<field/>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Field {
    /// `var` (required except for `fixed` fields).
    pub var: Option<String>,
    /// `type` as written (absent: `text-single`, see [`effective_type`](Self::effective_type)).
    pub kind: Option<FieldType>,
    /// `label`.
    pub label: Option<String>,
    /// `<desc/>`.
    pub desc: Option<String>,
    /// `<required/>`.
    pub required: bool,
    /// The `<value/>`s.
    pub values: Vec<String>,
    /// The `<option/>`s.
    pub options: Vec<FieldOption>,
}

impl Field {
    /// A field `var` of `kind` with `values`.
    pub fn new(var: impl Into<String>, kind: Option<FieldType>, values: Vec<String>) -> Self {
        Field {
            var: Some(var.into()),
            kind,
            values,
            ..Field::default()
        }
    }

    /// The type, `text-single` when absent.
    pub fn effective_type(&self) -> FieldType {
        self.kind.unwrap_or(FieldType::TextSingle)
    }

    /// Checks the values against the type `kind` (from the form, since a submission may omit
    /// types): at most one value for single types, booleans, JIDs, list values among `options`.
    ///
    /// # Errors
    /// [`ParseError::BadText`] naming the bad value.
    pub fn validate_values(
        &self,
        kind: FieldType,
        options: &[FieldOption],
    ) -> Result<(), ParseError> {
        if !kind.is_multi() && self.values.len() > 1 {
            return Err(ParseError::DuplicateChild {
                element: "field",
                child: "value",
                lang: None,
            });
        }
        for v in &self.values {
            let bad = |reason| ParseError::BadText {
                element: "value",
                value: v.clone(),
                reason,
            };
            match kind {
                FieldType::Boolean => {
                    parse_bool(v, "field", "value").map_err(|_| bad("not a boolean"))?;
                }
                FieldType::JidSingle | FieldType::JidMulti => {
                    Jid::new(v).map_err(|_| bad("not a valid JID"))?;
                }
                FieldType::ListSingle | FieldType::ListMulti
                    if !options.is_empty() && !options.iter().any(|o| &o.value == v) =>
                {
                    return Err(bad("not one of the field's options"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A data form `<x xmlns='jabber:x:data'/>`.
///
/// ```
/// use xmpp_stanza::xep::forms::{DataForm, Field, FieldType, FormType};
/// let mut form = DataForm::new(FormType::Form);
/// form.set_form_type("urn:example:config");
/// form.fields.push(Field { required: true, ..Field::new("name", None, vec![]) });
/// let mut answer = DataForm::new(FormType::Submit);
/// answer.set_form_type("urn:example:config");
/// assert!(form.validate_submission(&answer).is_err()); // required field missing
/// answer.fields.push(Field::new("name", None, vec!["x".into()]));
/// assert!(form.validate_submission(&answer).is_ok());
/// assert_eq!(answer.form_type(), Some("urn:example:config"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataForm {
    /// `type`.
    pub kind: FormType,
    /// `<title/>`.
    pub title: Option<String>,
    /// `<instructions/>`s.
    pub instructions: Vec<String>,
    /// The fields.
    pub fields: Vec<Field>,
    /// `<reported/>`: the columns of a result table.
    pub reported: Option<Vec<Field>>,
    /// `<item/>`s: the rows of a result table.
    pub items: Vec<Vec<Field>>,
}

impl DataForm {
    /// An empty form of `kind`.
    pub fn new(kind: FormType) -> Self {
        DataForm {
            kind,
            title: None,
            instructions: Vec::new(),
            fields: Vec::new(),
            reported: None,
            items: Vec::new(),
        }
    }

    /// The field named `var`.
    pub fn field(&self, var: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.var.as_deref() == Some(var))
    }

    /// The XEP-0068 `FORM_TYPE`: the value of the field `FORM_TYPE` (hidden in a form).
    pub fn form_type(&self) -> Option<&str> {
        let f = self.field("FORM_TYPE")?;
        if f.kind.is_some_and(|k| k != FieldType::Hidden) && self.kind != FormType::Submit {
            return None;
        }
        f.values.first().map(String::as_str)
    }

    /// Sets the `FORM_TYPE` hidden field (first, as XEP-0068 recommends).
    pub fn set_form_type(&mut self, form_type: impl Into<String>) {
        self.fields
            .retain(|f| f.var.as_deref() != Some("FORM_TYPE"));
        self.fields.insert(
            0,
            Field::new("FORM_TYPE", Some(FieldType::Hidden), vec![form_type.into()]),
        );
    }

    /// Checks a `submit` form against this form: same `FORM_TYPE`, every required field
    /// present with a value, values valid for the field's type and options.
    ///
    /// # Errors
    /// [`ParseError::MissingChild`] for a missing required field (its `var` is in the
    /// message of [`ParseError::BadText`] otherwise), [`ParseError::BadAttribute`] for a
    /// `FORM_TYPE` or form type mismatch.
    pub fn validate_submission(&self, submitted: &DataForm) -> Result<(), ParseError> {
        if submitted.kind != FormType::Submit {
            return Err(ParseError::BadAttribute {
                element: "x",
                attr: "type",
                value: submitted.kind.as_str().to_owned(),
                reason: "a submission must have type 'submit'",
            });
        }
        if self.form_type() != submitted.form_type() {
            return Err(ParseError::BadAttribute {
                element: "field",
                attr: "FORM_TYPE",
                value: submitted.form_type().unwrap_or("").to_owned(),
                reason: "FORM_TYPE differs from the form's",
            });
        }
        // One index of the submission, so that the check is linear in the fields.
        let mut by_var = std::collections::HashMap::new();
        for f in &submitted.fields {
            if let Some(var) = f.var.as_deref() {
                by_var.entry(var).or_insert(f);
            }
        }
        for f in &self.fields {
            let Some(var) = f.var.as_deref() else {
                continue;
            };
            let sub = by_var.get(var).copied();
            if f.required && sub.is_none_or(|s| s.values.is_empty()) {
                return Err(ParseError::BadText {
                    element: "field",
                    value: var.to_owned(),
                    reason: "required field has no value",
                });
            }
            if let Some(s) = sub {
                s.validate_values(f.effective_type(), &f.options)?;
            }
        }
        Ok(())
    }
}

impl Payload for DataForm {
    const NAME: &'static str = "x";
    const NS: &'static str = NS;
}

fn parse_field(e: &Element) -> Result<Field, ParseError> {
    let mut f = Field {
        var: e.attr("var").map(str::to_owned),
        kind: e.attr("type").map(str::parse).transpose()?,
        label: e.attr("label").map(str::to_owned),
        ..Field::default()
    };
    for c in e.children() {
        if c.ns() != NS {
            continue; // extensions of fields (XEP-0122 validation, ...) are ignored
        }
        match c.name() {
            "value" => {
                no_children(c, "value")?;
                f.values.push(c.text().into_owned());
            }
            "desc" => {
                no_children(c, "desc")?;
                f.desc = Some(c.text().into_owned());
            }
            "required" => f.required = true,
            "option" => {
                let value = c
                    .child_text("value", NS)
                    .ok_or(ParseError::MissingChild {
                        element: "option",
                        child: "value",
                    })?
                    .into_owned();
                f.options.push(FieldOption {
                    label: c.attr("label").map(str::to_owned),
                    value,
                });
            }
            other => {
                return Err(ParseError::UnexpectedChild {
                    element: "field",
                    child: other.to_owned(),
                });
            }
        }
    }
    if f.var.is_none() && f.kind != Some(FieldType::Fixed) {
        return Err(ParseError::MissingAttribute {
            element: "field",
            attr: "var",
        });
    }
    if let Some(k) = f.kind.filter(|k| !k.is_multi()) {
        if f.values.len() > 1 {
            return Err(ParseError::BadText {
                element: "field",
                value: k.as_str().to_owned(),
                reason: "a single-valued field has several values",
            });
        }
    }
    Ok(f)
}

fn parse_fields(e: &Element) -> Result<Vec<Field>, ParseError> {
    e.children_named("field", NS).map(parse_field).collect()
}

fn field_element(f: Field) -> Element {
    Element::builder("field", NS)
        .attr_opt("var", f.var)
        .attr_opt("type", f.kind.map(FieldType::as_str))
        .attr_opt("label", f.label)
        .child_opt(f.desc.map(|d| Element::builder("desc", NS).text(d)))
        .child_opt(f.required.then(|| Element::new("required", NS)))
        .children(
            f.values
                .into_iter()
                .map(|v| Element::builder("value", NS).text(v)),
        )
        .children(f.options.into_iter().map(|o| {
            Element::builder("option", NS)
                .attr_opt("label", o.label)
                .child(Element::builder("value", NS).text(o.value))
        }))
        .build()
}

impl TryFrom<&Element> for DataForm {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        let kind = crate::util::req_attr(e, "x", "type")?.parse()?;
        let mut form = DataForm::new(kind);
        for c in e.children() {
            if c.ns() != NS {
                continue;
            }
            match c.name() {
                "title" => form.title = Some(c.text().into_owned()),
                "instructions" => form.instructions.push(c.text().into_owned()),
                "field" => form.fields.push(parse_field(c)?),
                "reported" => {
                    if form.reported.is_some() {
                        return Err(ParseError::DuplicateChild {
                            element: "x",
                            child: "reported",
                            lang: None,
                        });
                    }
                    form.reported = Some(parse_fields(c)?);
                }
                "item" => form.items.push(parse_fields(c)?),
                other => {
                    return Err(ParseError::UnexpectedChild {
                        element: "x",
                        child: other.to_owned(),
                    });
                }
            }
        }
        Ok(form)
    }
}

impl From<DataForm> for Element {
    fn from(f: DataForm) -> Element {
        Element::builder("x", NS)
            .attr("type", f.kind.as_str())
            .child_opt(f.title.map(|t| Element::builder("title", NS).text(t)))
            .children(
                f.instructions
                    .into_iter()
                    .map(|i| Element::builder("instructions", NS).text(i)),
            )
            .children(f.fields.into_iter().map(field_element))
            .child_opt(f.reported.map(|r| {
                Element::builder("reported", NS).children(r.into_iter().map(field_element))
            }))
            .children(
                f.items.into_iter().map(|i| {
                    Element::builder("item", NS).children(i.into_iter().map(field_element))
                }),
            )
            .build()
    }
}
