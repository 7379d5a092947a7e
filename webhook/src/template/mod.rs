//! Go text/template rendering of Istio's injection templates.

#[cfg(test)]
pub(crate) mod corpus;
