//! The elementary functions of the dual numbers, written once for `Dual<F>`
//! (`dual.rs`, one tangent) and `DualN<F, K>` (`dual_lanes.rs`, `K` tangent
//! lanes): each is its value and its partial derivatives, handed to the
//! type's `chain` (one operand: every tangent times `d`) or `chain2` (two
//! operands: `da·ȧ + db·ḃ`), which do the tangent arithmetic of that type.
//! Same names and the same conventions at non-differentiable points as the
//! macro's rule table, so that the emitted code reads the same over `F` and
//! over either dual type.

/// The methods, for an `impl` block of a dual type over the float `$f`
/// that has `re`, `cst`, `chain` and `chain2`.
macro_rules! elementary_methods {
    ($f:ident) => {
        pub fn sin(self) -> Self { self.chain(self.re.sin(), self.re.cos()) }
        pub fn cos(self) -> Self { self.chain(self.re.cos(), -self.re.sin()) }
        pub fn tan(self) -> Self { let y = self.re.tan(); self.chain(y, 1.0 + y * y) }
        pub fn asin(self) -> Self { self.chain(self.re.asin(), 1.0 / (1.0 - self.re * self.re).sqrt()) }
        pub fn acos(self) -> Self { self.chain(self.re.acos(), -1.0 / (1.0 - self.re * self.re).sqrt()) }
        pub fn atan(self) -> Self { self.chain(self.re.atan(), 1.0 / (1.0 + self.re * self.re)) }
        pub fn sinh(self) -> Self { self.chain(self.re.sinh(), self.re.cosh()) }
        pub fn cosh(self) -> Self { self.chain(self.re.cosh(), self.re.sinh()) }
        // The generated code's tanh (`math::Tanh`: the crate's kernel in f32).
        pub fn tanh(self) -> Self { let y = crate::__private::Tanh::gd_tanh(self.re); self.chain(y, 1.0 - y * y) }
        pub fn asinh(self) -> Self { self.chain(self.re.asinh(), 1.0 / (self.re * self.re + 1.0).sqrt()) }
        pub fn acosh(self) -> Self { self.chain(self.re.acosh(), 1.0 / (self.re * self.re - 1.0).sqrt()) }
        pub fn atanh(self) -> Self { self.chain(self.re.atanh(), 1.0 / (1.0 - self.re * self.re)) }
        pub fn exp(self) -> Self { let y = self.re.exp(); self.chain(y, y) }
        pub fn exp2(self) -> Self { let y = self.re.exp2(); self.chain(y, y * std::$f::consts::LN_2) }
        pub fn exp_m1(self) -> Self { let y = self.re.exp_m1(); self.chain(y, y + 1.0) }
        pub fn ln(self) -> Self { self.chain(self.re.ln(), 1.0 / self.re) }
        pub fn ln_1p(self) -> Self { self.chain(self.re.ln_1p(), 1.0 / (1.0 + self.re)) }
        pub fn log10(self) -> Self { self.chain(self.re.log10(), 1.0 / (self.re * std::$f::consts::LN_10)) }
        pub fn log2(self) -> Self { self.chain(self.re.log2(), 1.0 / (self.re * std::$f::consts::LN_2)) }
        pub fn sqrt(self) -> Self { let y = self.re.sqrt(); self.chain(y, 0.5 / y) }
        pub fn cbrt(self) -> Self { let y = self.re.cbrt(); self.chain(y, 1.0 / (3.0 * y * y)) }
        pub fn powi(self, n: i32) -> Self {
            let d = if n == 0 { 0.0 } else { n as $f * self.re.powi(n - 1) };
            self.chain(self.re.powi(n), d)
        }
        pub fn abs(self) -> Self {
            let d = if self.re > 0.0 { 1.0 } else if self.re < 0.0 { -1.0 } else { 0.0 };
            self.chain(self.re.abs(), d)
        }
        pub fn recip(self) -> Self { let y = self.re.recip(); self.chain(y, -y * y) }
        pub fn fract(self) -> Self { self.chain(self.re.fract(), 1.0) }
        pub fn signum(self) -> Self { Self::cst(self.re.signum()) }
        pub fn floor(self) -> Self { Self::cst(self.re.floor()) }
        pub fn ceil(self) -> Self { Self::cst(self.re.ceil()) }
        pub fn round(self) -> Self { Self::cst(self.re.round()) }
        pub fn round_ties_even(self) -> Self { Self::cst(self.re.round_ties_even()) }
        pub fn trunc(self) -> Self { Self::cst(self.re.trunc()) }
        pub fn atan2(self, b: Self) -> Self {
            let r2 = self.re * self.re + b.re * b.re;
            self.chain2(b, self.re.atan2(b.re), b.re / r2, -self.re / r2)
        }
        pub fn powf(self, b: Self) -> Self {
            let y = self.re.powf(b.re);
            let da = if b.re == 0.0 { 0.0 } else { b.re * self.re.powf(b.re - 1.0) };
            let db = if self.re == 0.0 { 0.0 } else { y * self.re.ln() };
            self.chain2(b, y, da, db)
        }
        pub fn log(self, b: Self) -> Self {
            let lb = b.re.ln();
            self.chain2(b, self.re.log(b.re), 1.0 / (self.re * lb), -self.re.ln() / (b.re * lb * lb))
        }
        // As `f64::max`/`min`: a NaN operand loses (the other is returned).
        pub fn max(self, b: Self) -> Self {
            if self.re > b.re { self } else if self.re < b.re { b } else { self.tie(b) }
        }
        pub fn min(self, b: Self) -> Self {
            if self.re < b.re { self } else if self.re > b.re { b } else { self.tie(b) }
        }
        /// max/min of operands that do not compare: equal (half the
        /// tangent each), or one of them NaN (the other).
        fn tie(self, b: Self) -> Self {
            if self.re == b.re { self.chain2(b, self.re, 0.5, 0.5) } else if self.re.is_nan() { b } else { self }
        }
        pub fn hypot(self, b: Self) -> Self {
            let y = self.re.hypot(b.re);
            if y == 0.0 {
                return Self::cst(y);
            }
            self.chain2(b, y, self.re / y, b.re / y)
        }
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            self * a + b
        }
        pub fn clamp(self, lo: Self, hi: Self) -> Self {
            if self.re < lo.re { lo } else if self.re > hi.re { hi } else { self }
        }
    };
}
